package main

// How much n waiting goroutines cost: the Go side of lesson 06's measure.

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

func rssMiB() float64 {
	status, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			kib, _ := strconv.Atoi(strings.Fields(line)[1])
			return float64(kib) / 1024
		}
	}
	return 0
}

func main() {
	var n int
	fmt.Scan(&n)
	stop := make(chan struct{}) // never closed: every goroutine waits for good
	var running sync.WaitGroup  // each says it runs, then waits
	running.Add(n)
	before, began := rssMiB(), time.Now()
	for i := 0; i < n; i++ {
		go func() {
			running.Done()
			<-stop
		}()
	}
	running.Wait() // every goroutine has run up to its wait
	fmt.Printf("{\"seconds\": %f, \"mib\": %f}\n", time.Since(began).Seconds(), rssMiB()-before)
	// main returns: the program ends, its goroutines with it
}
