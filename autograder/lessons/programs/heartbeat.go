package main

// Lesson 06, section 6, in Go: does one goroutine that sleeps, or computes
// without pause, stop the others? Run with GOMAXPROCS=1: one thread runs the
// goroutines, as one event loop runs the tasks.

import (
	"fmt"
	"sync"
	"time"
)

func longestGap(work func()) time.Duration {
	var mu sync.Mutex
	var beats []time.Time
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() { // the heartbeat
		defer close(stopped)
		for {
			mu.Lock()
			beats = append(beats, time.Now())
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	time.Sleep(50 * time.Millisecond)
	work()
	time.Sleep(50 * time.Millisecond) // a few more beats: the gap shows once they resume
	close(stop)
	<-stopped
	longest := time.Duration(0)
	for i := 1; i < len(beats); i++ {
		longest = max(longest, beats[i].Sub(beats[i-1]))
	}
	return longest
}

func main() {
	sleeps := func() { time.Sleep(300 * time.Millisecond) }
	computes := func() { // 300 ms of work that never waits
		sum := 0
		for start := time.Now(); time.Since(start) < 300*time.Millisecond; sum++ {
		}
	}
	fmt.Println("time.Sleep(300ms):    longest gap between beats",
		longestGap(sleeps).Round(time.Millisecond))
	fmt.Println("300 ms of computing: longest gap between beats",
		longestGap(computes).Round(time.Millisecond))
}
