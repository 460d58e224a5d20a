"""Program A: one consumer thread per word read; none is ever told to stop."""
import queue
import sys
import threading


def consumer(ch):  # a long-running job
    while True:
        data = ch.get()
        print(data)


def main():
    ch = queue.Queue()
    for line in sys.stdin:  # ends with the input; Go's loop never ends (see the lesson)
        for dummy in line.split():  # noqa: B007 - the seed's name; fmt.Scan reads a word
            threading.Thread(target=consumer, args=(ch,)).start()
            print(threading.active_count(), flush=True)


main()
