// Command hello is the baseline for e2e/load.sh: the smallest net/http
// server, answering every request with a short text. Figures for the
// platform are given as a share of what this does on the same machine in
// the same run.
package main

import (
	"flag"
	"io"
	"log"
	"net/http"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18090", "listen address")
	flag.Parse()
	log.Fatal(http.ListenAndServe(*addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // a POST's body is read, as a real handler would (e2e/ingest)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("hello, world\n"))
	})))
}
