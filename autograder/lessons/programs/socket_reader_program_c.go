package main

import (
	"fmt"
	"net"
	"time"
)

func socketRecv(conn net.Conn, exitChan chan string) {
	buf := make([]byte, 1024)
	for { // receive until the connection fails
		_, err := conn.Read(buf)
		if err != nil {
			break
		}
	}
	exitChan <- "exit"
}

func main() {
	conn, err := net.Dial("tcp", "www.163.com:80")
	if err != nil {
		fmt.Println(err)
		return
	}

	exit := make(chan string)
	go socketRecv(conn, exit)
	time.Sleep(time.Second)
	conn.Close() // close the socket: the reader's Read fails
	fmt.Println(<-exit)
}
