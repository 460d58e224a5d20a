"""Program B: each consumer stops on 0; the word "exit" sends one 0 per thread."""
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
                for i in range(threading.active_count() - 1):
                    ch.put(0)
                continue
            threading.Thread(target=consumer, args=(ch,)).start()
            print(threading.active_count(), flush=True)


main()
