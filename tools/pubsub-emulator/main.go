// Command pubsub-emulator serves Google's pstest Pub/Sub fake on a TCP port so
// that clients configured with PUBSUB_EMULATOR_HOST can talk to it. pstest is
// the in-memory fake Google ships with the Go client; it implements topics,
// subscriptions, ack deadlines, nacks and dead-letter policies, but never
// delivers to push endpoints (tools/push_relay.py stands in for that).
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"

	"cloud.google.com/go/pubsub/v2/pstest"
)

func main() {
	host := flag.String("host", "127.0.0.1", "address to listen on")
	port := flag.Int("port", 8085, "TCP port to listen on")
	flag.Parse()

	srv := pstest.NewServerWithAddress(fmt.Sprintf("%s:%d", *host, *port))
	log.Printf("pstest Pub/Sub emulator listening on %s", srv.Addr)

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	<-stop
	log.Printf("stopping")
	if err := srv.Close(); err != nil {
		log.Printf("close: %v", err)
	}
}
