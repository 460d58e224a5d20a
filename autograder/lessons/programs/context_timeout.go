// Three workers share one context with a 100 ms timeout. Each checks
// ctx.Done() in a select between units of work, and returns once it is closed.
package main

import (
	"context"
	"fmt"
	"sync"
	"time"
)

func worker(ctx context.Context, id int, wg *sync.WaitGroup) {
	defer wg.Done()
	units := 0
	for {
		select {
		case <-ctx.Done(): // closed when the timeout passes (or cancel is called)
			fmt.Printf("worker %d: %v, returning after %d units of work\n", id, ctx.Err(), units)
			return
		case <-time.After(10 * time.Millisecond): // one unit of work
			units++
		}
	}
}

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel() // frees the context's timer if we finish early; go vet insists on it
	started := time.Now()
	var wg sync.WaitGroup
	for id := 1; id <= 3; id++ {
		wg.Add(1)
		go worker(ctx, id, &wg)
	}
	wg.Wait()
	fmt.Printf("every worker returned %d ms after the start\n",
		time.Since(started).Milliseconds())
	_, open := <-ctx.Done()
	fmt.Println("ctx.Done() still open:", open)
}
