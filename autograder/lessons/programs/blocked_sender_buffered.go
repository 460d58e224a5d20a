// A search with a timeout, called five times. The search is slower than the
// caller will wait, so every call times out. Prints runtime.NumGoroutine().
package main

import (
	"errors"
	"fmt"
	"runtime"
	"time"
)

type result struct{ hits int }

func search() result {
	time.Sleep(300 * time.Millisecond) // slower than the caller waits
	return result{hits: 42}
}

func searchWithTimeout(timeout time.Duration) (result, error) {
	ch := make(chan result, 1)
	go func() { ch <- search() }()
	select {
	case r := <-ch:
		return r, nil
	case <-time.After(timeout):
		return result{}, errors.New("timed out")
	}
}

func main() {
	fmt.Println("goroutines at the start:", runtime.NumGoroutine())
	for call := 1; call <= 5; call++ {
		_, err := searchWithTimeout(10 * time.Millisecond)
		fmt.Printf("call %d: %v, goroutines: %d\n", call, err, runtime.NumGoroutine())
	}
	time.Sleep(time.Second) // every search has finished by now
	runtime.GC()
	fmt.Println("a second later, after a GC, goroutines:", runtime.NumGoroutine())
}
