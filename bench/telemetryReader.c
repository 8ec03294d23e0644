/*
 * The `native` reader harness of bench:telemetry: COUNT Subscribe calls to the telemetry
 * server, each on its own TCP connection, served by one process with epoll. gRPC is spoken
 * over HTTP/2 by hand (client preface, SETTINGS, HEADERS as HPACK literals, 5-byte message
 * framing; SETTINGS and PING acknowledged, as the server's keepalive requires), and each
 * message is decoded only as far as a monitor must: sequence, wall time, step and which event
 * it is. A receipt is timed once its message is decoded.
 *
 * Why: on this 2-core machine the 90 reader monitors share the one core that training leaves
 * with the server, and a node reader costs 30-45 us of CPU per receipt (≈ 3.5 ms per event for
 * 90), which is more than the server's own fan-out. Real monitors run on other machines; this
 * harness costs the host a few microseconds per receipt, so the latency it sees is mostly the
 * server's. It speaks to the same server over the same loopback HTTP/2 as the other harnesses.
 *
 * Protocol with the bench (as the node harnesses): prints "ready" once every call has had
 * its first event; a line on stdin prints the report as one JSON line and exits; EOF on stdin
 * exits.
 *
 *   telemetryReader HOST PORT COUNT MAXRECS OFFSET_MS
 * HOST is an IPv4 address; MAXRECS bounds the BatchEnd receipts kept (preallocated: growing
 * an array while reading would show up as latency); OFFSET_MS is the bench's wall − monotonic.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { FRAME_DATA = 0, FRAME_HEADERS = 1, FRAME_RST_STREAM = 3, FRAME_SETTINGS = 4, FRAME_PING = 6, FRAME_GOAWAY = 7 };
enum { FLAG_END_STREAM = 0x1, FLAG_ACK = 0x1, FLAG_END_HEADERS = 0x4, FLAG_PADDED = 0x8 };
/* Event's oneof field number for BatchEnd (proto/telemetry.proto). */
enum { FIELD_BATCH_END = 12 };

typedef struct {
  uint8_t *p;
  size_t len, cap;
} Buf;

typedef struct {
  int fd;
  Buf in;  /* bytes read, not yet parsed into frames */
  Buf msg; /* the response stream's DATA bytes, not yet parsed into gRPC messages */
  long n, gaps;
  long long last;
  char status[48];
} Conn;

static void die(const char *what) {
  perror(what);
  exit(2);
}

static void put(Buf *b, const uint8_t *p, size_t n) {
  if (b->len + n > b->cap) {
    b->cap = (b->len + n) * 2 + 4096;
    b->p = realloc(b->p, b->cap);
    if (b->p == NULL) die("realloc");
  }
  memcpy(b->p + b->len, p, n);
  b->len += n;
}

static void consume(Buf *b, size_t n) {
  memmove(b->p, b->p + n, b->len - n);
  b->len -= n;
}

static double clockMs(clockid_t id) {
  struct timespec t;
  clock_gettime(id, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static double cpuMs(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 + (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3;
}

static void sendAll(int fd, const uint8_t *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w <= 0) die("write");
    p += w;
    n -= (size_t)w;
  }
}

static void frameHeader(Buf *b, uint32_t len, uint8_t type, uint8_t flags, uint32_t stream) {
  uint8_t h[9] = {(uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len, type, flags,
                  (uint8_t)(stream >> 24), (uint8_t)(stream >> 16), (uint8_t)(stream >> 8), (uint8_t)stream};
  put(b, h, 9);
}

/* An HPACK "literal header field without indexing, new name", lengths < 127, no Huffman. */
static void literal(Buf *b, const char *name, const char *value) {
  uint8_t z = 0, nl = (uint8_t)strlen(name), vl = (uint8_t)strlen(value);
  put(b, &z, 1);
  put(b, &nl, 1);
  put(b, (const uint8_t *)name, nl);
  put(b, &vl, 1);
  put(b, (const uint8_t *)value, vl);
}

static int connectTo(const char *host, int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) die("socket");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
    fprintf(stderr, "telemetryReader: HOST must be an IPv4 address, got '%s'\n", host);
    exit(2);
  }
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) die("connect");
  return fd;
}

/* The preface and the whole request: Subscribe({}) (all kinds, from the replay buffer on). */
static void subscribe(int fd, const char *authority) {
  Buf b = {0};
  put(&b, (const uint8_t *)"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24);
  /* SETTINGS: no push; a stream window the server never runs into in a bench run. */
  frameHeader(&b, 12, FRAME_SETTINGS, 0, 0);
  const uint8_t settings[12] = {0, 2, 0, 0, 0, 0, 0, 4, 0x7f, 0xff, 0xff, 0xff};
  put(&b, settings, 12);
  /* The connection window likewise (it starts at 65535 whatever SETTINGS say). */
  frameHeader(&b, 4, 8, 0, 0);
  const uint32_t inc = 0x7fffffffu - 65535u;
  const uint8_t w[4] = {(uint8_t)(inc >> 24), (uint8_t)(inc >> 16), (uint8_t)(inc >> 8), (uint8_t)inc};
  put(&b, w, 4);
  Buf h = {0};
  literal(&h, ":method", "POST");
  literal(&h, ":scheme", "http");
  literal(&h, ":path", "/rxtrain.telemetry.v1.Telemetry/Subscribe");
  literal(&h, ":authority", authority);
  literal(&h, "content-type", "application/grpc");
  literal(&h, "te", "trailers");
  frameHeader(&b, (uint32_t)h.len, FRAME_HEADERS, FLAG_END_HEADERS, 1);
  put(&b, h.p, h.len);
  /* One gRPC message: uncompressed, length 0 (every field of the request at its default). */
  frameHeader(&b, 5, FRAME_DATA, FLAG_END_STREAM, 1);
  const uint8_t empty[5] = {0};
  put(&b, empty, 5);
  sendAll(fd, b.p, b.len);
  free(b.p);
  free(h.p);
}

/* Reads a varint at *p (< end); returns 0 if it runs past end. */
static int varint(const uint8_t **p, const uint8_t *end, uint64_t *v) {
  *v = 0;
  for (int shift = 0; shift < 64 && *p < end; shift += 7) {
    uint8_t c = *(*p)++;
    *v |= (uint64_t)(c & 0x7f) << shift;
    if ((c & 0x80) == 0) return 1;
  }
  return 0;
}

typedef struct {
  long long sequence, micros, step;
  int kind; /* the oneof's field number, 0 if none */
} Event;

/* Decodes the top-level fields of an rxtrain.telemetry.v1.Event; 0 if malformed. */
static int decodeEvent(const uint8_t *p, size_t n, Event *e) {
  const uint8_t *end = p + n;
  memset(e, 0, sizeof *e);
  while (p < end) {
    uint64_t tag, v;
    if (!varint(&p, end, &tag)) return 0;
    uint32_t field = (uint32_t)(tag >> 3);
    switch (tag & 7) {
      case 0:
        if (!varint(&p, end, &v)) return 0;
        if (field == 2) e->sequence = (long long)v;
        else if (field == 3) e->micros = (long long)v;
        else if (field == 5) e->step = (long long)v;
        break;
      case 1:
        if (end - p < 8) return 0;
        p += 8;
        break;
      case 2:
        if (!varint(&p, end, &v) || v > (uint64_t)(end - p)) return 0;
        p += v;
        if (field >= 10 && field <= 19) e->kind = (int)field;
        break;
      case 5:
        if (end - p < 4) return 0;
        p += 4;
        break;
      default:
        return 0;
    }
  }
  return 1;
}

static Conn *conns;
static int count, ready;
static double *recs;
static size_t nRecs, maxRecs;
static double offsetMs, cpu0;

/* Latency of this process's first receipt of `sequence`, or NaN (and `l` remembered) if this is it. */
static double *firsts;
static size_t nFirsts;
static double firstLatency(long long sequence, double l) {
  if (sequence < 0) return NAN;
  const size_t s = (size_t)sequence;
  if (s >= nFirsts) {
    size_t n = s * 2 + 1024;
    firsts = realloc(firsts, n * sizeof *firsts);
    if (firsts == NULL) die("realloc");
    for (size_t k = nFirsts; k < n; k++) firsts[k] = NAN;
    nFirsts = n;
  }
  if (isnan(firsts[s])) {
    firsts[s] = l;
    return NAN;
  }
  return firsts[s];
}

static void onMessage(int i, const uint8_t *p, size_t n) {
  const double t = clockMs(CLOCK_MONOTONIC);
  Conn *c = &conns[i];
  Event e;
  if (!decodeEvent(p, n, &e)) {
    fprintf(stderr, "telemetryReader: connection %d: malformed Event (%zu bytes)\n", i, n);
    exit(2);
  }
  if (c->n == 0 && ++ready == count) {
    cpu0 = cpuMs();
    fputs("ready\n", stdout);
    fflush(stdout);
  }
  if (c->last != 0 && e.sequence != c->last + 1) c->gaps++;
  c->last = e.sequence;
  c->n++;
  if (e.kind == FIELD_BATCH_END && nRecs + 4 <= maxRecs) {
    const double l = t - ((double)e.micros / 1000 - offsetMs);
    const double f = firstLatency(e.sequence, l);
    recs[nRecs++] = (double)e.step;
    recs[nRecs++] = l;
    recs[nRecs++] = isnan(f) ? -1 : l - f;
    recs[nRecs++] = i;
  }
}

static void onFrame(int i, uint8_t type, uint8_t flags, uint32_t stream, const uint8_t *p, uint32_t len) {
  Conn *c = &conns[i];
  Buf out = {0};
  switch (type) {
    case FRAME_DATA: {
      uint32_t pad = 0;
      if (flags & FLAG_PADDED) {
        if (len < 1 || p[0] >= len) die("padded DATA");
        pad = p[0];
        p++;
        len--;
      }
      if (stream == 1) put(&c->msg, p, len - pad);
      while (c->msg.len >= 5) {
        const uint8_t *m = c->msg.p;
        uint32_t ml = (uint32_t)m[1] << 24 | (uint32_t)m[2] << 16 | (uint32_t)m[3] << 8 | m[4];
        if (c->msg.len < 5 + (size_t)ml) break;
        if (m[0] != 0) {
          fprintf(stderr, "telemetryReader: compressed message, not supported\n");
          exit(2);
        }
        onMessage(i, m + 5, ml);
        consume(&c->msg, 5 + (size_t)ml);
      }
      if (flags & FLAG_END_STREAM) snprintf(c->status, sizeof c->status, "ended without trailers");
      break;
    }
    case FRAME_HEADERS:
      /* Response headers, or trailers with END_STREAM (their HPACK is not decoded here). */
      if (flags & FLAG_END_STREAM) snprintf(c->status, sizeof c->status, "trailers");
      break;
    case FRAME_RST_STREAM:
      snprintf(c->status, sizeof c->status, "RST_STREAM %u", len >= 4 ? (unsigned)(p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]) : 0u);
      break;
    case FRAME_SETTINGS:
      if (!(flags & FLAG_ACK)) {
        frameHeader(&out, 0, FRAME_SETTINGS, FLAG_ACK, 0);
        sendAll(c->fd, out.p, out.len);
      }
      break;
    case FRAME_PING:
      if (!(flags & FLAG_ACK) && len == 8) {
        frameHeader(&out, 8, FRAME_PING, FLAG_ACK, 0);
        put(&out, p, 8);
        sendAll(c->fd, out.p, out.len);
      }
      break;
    case FRAME_GOAWAY:
      if (c->status[0] == 0) snprintf(c->status, sizeof c->status, "GOAWAY");
      break;
    default:
      break; /* WINDOW_UPDATE, PRIORITY, CONTINUATION: nothing to do for a reader */
  }
  free(out.p);
}

/* Reads what the connection has and handles every complete frame; 0 once it is closed. */
static int onReadable(int i) {
  Conn *c = &conns[i];
  uint8_t chunk[65536];
  ssize_t r = read(c->fd, chunk, sizeof chunk);
  if (r <= 0) {
    if (c->status[0] == 0) snprintf(c->status, sizeof c->status, "connection closed");
    return 0;
  }
  put(&c->in, chunk, (size_t)r);
  size_t off = 0;
  while (c->in.len - off >= 9) {
    const uint8_t *h = c->in.p + off;
    uint32_t len = (uint32_t)h[0] << 16 | (uint32_t)h[1] << 8 | h[2];
    if (c->in.len - off < 9 + (size_t)len) break;
    uint32_t stream = ((uint32_t)h[5] << 24 | (uint32_t)h[6] << 16 | (uint32_t)h[7] << 8 | h[8]) & 0x7fffffffu;
    onFrame(i, h[3], h[4], stream, h + 9, len);
    off += 9 + (size_t)len;
  }
  consume(&c->in, off);
  return 1;
}

static void report(void) {
  const double cpu = cpuMs() - cpu0;
  printf("{\"recs\":[");
  for (size_t k = 0; k < nRecs; k++) printf(k == 0 ? "%.3f" : ",%.3f", recs[k]);
  printf("],\"clockSkewMs\":%.6f,\"cpuMs\":%.3f,\"events\":[", clockMs(CLOCK_REALTIME) - clockMs(CLOCK_MONOTONIC) - offsetMs, cpu);
  long gaps = 0;
  for (int i = 0; i < count; i++) {
    printf(i == 0 ? "%ld" : ",%ld", conns[i].n);
    gaps += conns[i].gaps;
  }
  printf("],\"gaps\":%ld,\"statuses\":[", gaps);
  for (int i = 0; i < count; i++) {
    if (conns[i].status[0] == 0) printf(i == 0 ? "null" : ",null");
    else printf(i == 0 ? "\"%s\"" : ",\"%s\"", conns[i].status);
  }
  printf("]}\n");
  fflush(stdout);
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: telemetryReader HOST PORT COUNT MAXRECS OFFSET_MS\n");
    return 2;
  }
  const char *host = argv[1];
  const int port = atoi(argv[2]);
  count = atoi(argv[3]);
  maxRecs = (size_t)atoll(argv[4]) * 4;
  offsetMs = atof(argv[5]);
  if (count <= 0 || port <= 0) {
    fprintf(stderr, "telemetryReader: COUNT and PORT must be positive\n");
    return 2;
  }
  char authority[64];
  snprintf(authority, sizeof authority, "%s:%d", host, port);
  recs = calloc(maxRecs, sizeof *recs);
  conns = calloc((size_t)count, sizeof *conns);
  if (recs == NULL || conns == NULL) die("calloc");
  int ep = epoll_create1(0);
  if (ep < 0) die("epoll_create1");
  struct epoll_event ev = {.events = EPOLLIN, .data.u32 = UINT32_MAX};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev) != 0) die("epoll_ctl stdin");
  for (int i = 0; i < count; i++) {
    conns[i].fd = connectTo(host, port);
    subscribe(conns[i].fd, authority);
    ev.data.u32 = (uint32_t)i;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev) != 0) die("epoll_ctl");
  }
  struct epoll_event got[128];
  for (;;) {
    int k = epoll_wait(ep, got, 128, -1);
    if (k < 0) die("epoll_wait");
    for (int j = 0; j < k; j++) {
      const uint32_t i = got[j].data.u32;
      if (i == UINT32_MAX) {
        char line[256];
        if (read(0, line, sizeof line) > 0) report();
        return 0; /* a line asks for the report; EOF means the bench is gone */
      }
      if (!onReadable((int)i)) epoll_ctl(ep, EPOLL_CTL_DEL, conns[i].fd, NULL);
    }
  }
}
