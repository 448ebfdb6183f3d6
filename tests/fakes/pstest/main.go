// pstest-launcher: Google's in-memory Pub/Sub fake (cloud.google.com/go/pubsub/pstest) as a
// standalone gRPC server for the C tests. Built offline in GOPATH mode from Debian's
// golang-google-cloud-dev by tests/fakes/with_pubsub.sh.
//
// This pstest has no NewServerWithPort, so the fake's service implementation (GServer) is
// registered on our own gRPC server listening on 127.0.0.1:PORT. A recovery interceptor
// turns a panic inside the fake (an RPC it does not implement, an unknown ack id) into an
// INTERNAL status instead of killing the process under a running test.
//
// With -tls-cert/-tls-key it serves TLS instead of plaintext, and with -require-bearer it
// plays Google's front end: a call without `authorization: Bearer <token>` whose token
// starts with one of the given prefixes fails UNAUTHENTICATED. That is how the C client's
// real-service path (TLS + per-call tokens from core/gcp) is tested offline.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"cloud.google.com/go/pubsub/pstest"
	pb "google.golang.org/genproto/googleapis/pubsub/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// bearerPrefixes: accepted token prefixes (-require-bearer); empty: no check.
var bearerPrefixes []string

func checkBearer(ctx context.Context, method string) error {
	if len(bearerPrefixes) == 0 {
		return nil
	}
	md, _ := metadata.FromIncomingContext(ctx)
	for _, v := range md.Get("authorization") {
		for _, p := range bearerPrefixes {
			if strings.HasPrefix(v, "Bearer "+p) {
				fmt.Fprintf(os.Stderr, "pstest: %s with a bearer token\n", method)
				return nil
			}
		}
	}
	return status.Errorf(codes.Unauthenticated, "%s: missing or unknown bearer token", method)
}

func recoverUnary(ctx context.Context, req interface{}, info *grpc.UnaryServerInfo,
	handler grpc.UnaryHandler) (resp interface{}, err error) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(os.Stderr, "pstest: panic in %s: %v\n%s", info.FullMethod, r, debug.Stack())
			err = status.Errorf(codes.Internal, "fake panicked in %s: %v", info.FullMethod, r)
		}
	}()
	if err := checkBearer(ctx, info.FullMethod); err != nil {
		return nil, err
	}
	return handler(ctx, req)
}

func recoverStream(srv interface{}, ss grpc.ServerStream, info *grpc.StreamServerInfo,
	handler grpc.StreamHandler) (err error) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(os.Stderr, "pstest: panic in %s: %v\n%s", info.FullMethod, r, debug.Stack())
			err = status.Errorf(codes.Internal, "fake panicked in %s: %v", info.FullMethod, r)
		}
	}()
	if err := checkBearer(ss.Context(), info.FullMethod); err != nil {
		return err
	}
	return handler(srv, ss)
}

func main() {
	port := flag.Int("port", 0, "TCP port on 127.0.0.1 (0: any free port)")
	minAck := flag.Int("min-ack-deadline", 1, "smallest ack deadline accepted, seconds (>= 1)")
	tlsCert := flag.String("tls-cert", "", "PEM certificate: serve TLS (with -tls-key)")
	tlsKey := flag.String("tls-key", "", "PEM private key of -tls-cert")
	bearer := flag.String("require-bearer", "", "comma-separated token prefixes every call must carry")
	flag.Parse()
	if *bearer != "" {
		bearerPrefixes = strings.Split(*bearer, ",")
	}

	pstest.SetMinAckDeadline(time.Duration(*minAck) * time.Second)
	fake := pstest.NewServer() // also listens on a port of its own; we do not use it
	lis, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", *port))
	if err != nil {
		fmt.Fprintf(os.Stderr, "pstest: could not listen: %v\n", err)
		os.Exit(1)
	}
	opts := []grpc.ServerOption{grpc.UnaryInterceptor(recoverUnary),
		grpc.StreamInterceptor(recoverStream), grpc.MaxRecvMsgSize(32 << 20)}
	if *tlsCert != "" {
		creds, err := credentials.NewServerTLSFromFile(*tlsCert, *tlsKey)
		if err != nil {
			fmt.Fprintf(os.Stderr, "pstest: TLS: %v\n", err)
			os.Exit(1)
		}
		opts = append(opts, grpc.Creds(creds))
	}
	gsrv := grpc.NewServer(opts...)
	pb.RegisterPublisherServer(gsrv, &fake.GServer)
	pb.RegisterSubscriberServer(gsrv, &fake.GServer)
	go func() {
		if err := gsrv.Serve(lis); err != nil {
			fmt.Fprintf(os.Stderr, "pstest: serve: %v\n", err)
			os.Exit(1)
		}
	}()
	fmt.Printf("pstest ready on %s\n", lis.Addr().String())
	os.Stdout.Sync()

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	gsrv.Stop()
	fake.Close()
}
