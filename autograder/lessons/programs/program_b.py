"""Program B: each consumer stops on 0; "exit" sends a 0 per thread but main,
counting the threads again before each send, as Go's loop condition does."""
import queue
import sys
import threading


def consumer(ch):  # a long-running job
    while True:
        data = ch.get()
        if data == 0:
            break
        print(data)


def main():
    ch = queue.Queue()
    for line in sys.stdin:
        for dummy in line.split():  # fmt.Scan reads one word at a time
            if dummy == "exit":
                i = 0
                while i < threading.active_count() - 1:  # Go re-reads the bound every time
                    ch.put(0)
                    i += 1
                continue
            threading.Thread(target=consumer, args=(ch,)).start()
            print(threading.active_count(), flush=True)


main()
