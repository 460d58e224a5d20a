// Four consumers range over one channel. main sends the work, closes the
// channel and waits for the consumers with a WaitGroup: one close() stops
// them all, without counting them. Then what a closed channel does.
package main

import (
	"fmt"
	"sync"
	"time"
)

func consumer(id int, ch <-chan int, wg *sync.WaitGroup) {
	defer wg.Done()
	received := 0
	for range ch { // ends once ch is closed and drained
		received++
		time.Sleep(time.Millisecond) // a little work on each item
	}
	fmt.Printf("consumer %d: channel closed, returning after %d items\n", id, received)
}

// panicOf runs f and returns what it panicked with (nil if it did not).
func panicOf(f func()) (p any) {
	defer func() { p = recover() }()
	f()
	return nil
}

func main() {
	ch := make(chan int)
	var wg sync.WaitGroup
	for id := 1; id <= 4; id++ {
		wg.Add(1)
		go consumer(id, ch, &wg)
	}
	for item := 1; item <= 20; item++ {
		ch <- item
	}
	close(ch) // one close wakes every consumer, however many there are
	wg.Wait()
	fmt.Println("every consumer has returned")

	v, ok := <-ch
	fmt.Printf("receive from the closed channel: v=%d ok=%v\n", v, ok)
	fmt.Println("send on the closed channel:", panicOf(func() { ch <- 1 }))
	fmt.Println("close of the closed channel:", panicOf(func() { close(ch) }))
}
