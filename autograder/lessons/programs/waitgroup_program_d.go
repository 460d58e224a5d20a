package main

import (
	"fmt"
	"net"
	"sync"
	"time"
)

func socketRecv(conn net.Conn, wg *sync.WaitGroup) {
	buf := make([]byte, 1024)
	for { // keep receiving
		_, err := conn.Read(buf) // read from the socket
		if err != nil {
			break
		}
	}
	wg.Done()
}

func main() {
	conn, err := net.Dial("tcp", "www.163.com:80")
	if err != nil {
		fmt.Println(err)
		return
	}

	var wg sync.WaitGroup
	wg.Add(1)
	go socketRecv(conn, &wg)

	time.Sleep(time.Second)
	conn.Close() // close the socket: Read returns an error

}
