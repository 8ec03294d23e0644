#!/usr/bin/env python3
"""Watch an rxtrain training run from Python: GetRun, then Subscribe, reconnecting like
`rxtrain monitor` does (resume from the last sequence + 1, no duplicates).

Generate the stubs next to this file first (see README, "From another language"):
    protoc -I proto --python_out=examples/python --grpc_out=examples/python \
        --plugin=protoc-gen-grpc=$(which grpc_python_plugin) proto/telemetry.proto
or, with pip's grpcio-tools:
    python3 -m grpc_tools.protoc -I proto --python_out=examples/python \
        --grpc_python_out=examples/python proto/telemetry.proto

    python3 examples/python/watch_run.py 127.0.0.1:50051 [--kinds EPOCH_END,TRAIN_END]
        [--token T | RXTRAIN_TELEMETRY_TOKEN] [--tls] [--ca cert.pem] [--server-name gpu-box]
        [--from N] [--wait SECONDS]

Exit codes as `rxtrain monitor`: 0 training ended (or stdout was closed, `| head`), 1 the run
failed or an error retrying cannot fix (a wrong token, TLS on one side only, a certificate for
other names or not trusted), 2 bad usage, 3 nothing answered for --wait SECONDS, 130 Ctrl-C.
There is no --follow: one run after another, until Ctrl-C, is a loop (see README)
    while python3 examples/python/watch_run.py 127.0.0.1:50051; [ $? -ne 130 ]; do :; done

grpc's own log lines (a failed handshake as "E1207 ... ssl_transport_security.cc ...") are kept
off the terminal, as this script says what went wrong in its own words; GRPC_VERBOSITY=ERROR
(or INFO, DEBUG) in the environment brings them back.
"""
import argparse
import json
import os
import pathlib
import re
import socket
import ssl
import sys
import time

# grpc's C core reads GRPC_VERBOSITY once, when grpc is imported: the default must be set
# before the import; a value the user set wins.
os.environ.setdefault("GRPC_VERBOSITY", "NONE")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
try:
    import grpc
    import telemetry_pb2 as pb
    import telemetry_pb2_grpc as rpc
except ImportError as e:
    # Debian's python3-grpcio installs for the system's /usr/bin/python3 only; a pyenv or venv
    # python3 first on PATH does not see it, and "No module named 'grpc'" after an apt-get
    # install that succeeded sends the user to install it again.
    system = "/usr/bin/python3"
    if e.name in ("grpc", "google") and sys.executable != system and os.path.exists(system):
        import subprocess
        if subprocess.run([system, "-c", "import grpc, google.protobuf"], capture_output=True).returncode == 0:
            import shlex
            sys.exit(f"{e} in {sys.executable}, but {system} has it (Debian's python3-grpcio): "
                     f"run {shlex.join([system, *sys.argv])}")
    sys.exit(f"{e}: install grpcio and generate the stubs first (see the top of {__file__})")

# Worth another try (the server restarted, the network dropped, we read too slowly).
TRANSIENT = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED,
             grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN}


def name(enum, value):
    """An enum value's name without the enum's prefix (RUN_STATUS_RUNNING: RUNNING); a newer
    server may send values these stubs do not know."""
    try:
        full = enum.Name(value)
    except ValueError:
        return str(value)
    prefix = re.sub(r"(?<!^)(?=[A-Z])", "_", enum.DESCRIPTOR.name).upper() + "_"  # RunStatus: RUN_STATUS_
    return full[len(prefix):] if full.startswith(prefix) else full


def figures(p):
    """An EpochEnd's or a TrainBegin history entry's metrics."""
    val = f" val_acc {p.val_accuracy:.4f}" if p.HasField("val_accuracy") else ""
    # Sent with more than 5 classes; stubs built from a proto before the field do not have it.
    if "val_top5_accuracy" in p.DESCRIPTOR.fields_by_name and p.HasField("val_top5_accuracy"):
        val += f" val_top5_acc {p.val_top5_accuracy:.4f}"
    # The epoch's training img/s (validation left out), absent for an epoch whose resumed process
    # trained none of it and from servers before the field; stubs built before it do not have it.
    rate = ""
    if "images_per_sec" in p.DESCRIPTOR.fields_by_name and p.HasField("images_per_sec"):
        rate = f" {p.images_per_sec:.1f} img/s"
    return f"train_loss {p.train_loss:.4f} train_acc {p.train_accuracy:.4f}{val} lr {p.lr:g}{rate}"


def duration(ms):
    """A duration as rxtrain's log and `rxtrain monitor` write it: 850ms, 12.3s, 4m05s, 1h02m03s."""
    if ms < 1000:
        return f"{int(ms + 0.5)}ms"
    if ms < 60_000:
        return f"{ms / 1000:.1f}s"
    s = int(ms / 1000 + 0.5)  # half up, as JavaScript's Math.round (Python's round() goes to even)
    h, m, sec = s // 3600, s % 3600 // 60, s % 60
    return f"{h}h{m:02d}m{sec:02d}s" if h else f"{m}m{sec:02d}s"


def epoch_label(epoch, epochs):
    """A 0-based epoch as `rxtrain monitor` shows it: 1-based, out of the run's epochs when known,
    never past the last (after the last epoch the events carry epoch == epochs)."""
    return f"{min(epoch + 1, epochs)}/{epochs}" if epochs > 0 else str(epoch + 1)


# Events of these kinds carry the epoch they belong to; the others carry the training cursor,
# which once an epoch has ended already points at the next one (its checkpoint, a TrainEnd).
EPOCH_OWN = {"epoch_begin", "batch_end", "validation_progress", "epoch_end", "lr_changed", "early_stop"}


def shown_epoch(ev, kind, before, epochs):
    """The 0-based epoch `rxtrain monitor` shows for an event, given the one it showed before: the
    epoch in progress, or the last one done."""
    if kind in EPOCH_OWN:
        return ev.epoch
    if kind == "train_begin":
        # A resumed run whose epochs are all done starts at epoch == epochs.
        return min(ev.epoch, epochs - 1) if epochs > 0 else ev.epoch
    return max(before, ev.epoch - 1)


def shown(path):
    """A path as one line: quoted, escapes and all, when it holds a line break or another control character."""
    return json.dumps(path) if any(ord(c) < 32 for c in path) else path


def describe(ev):
    """One line per event (a resumed run's TrainBegin: and one per earlier epoch), or None for a
    kind these stubs do not know (a newer server)."""
    kind = ev.WhichOneof("event")
    if kind is None:
        return None
    p = getattr(ev, kind)
    if kind == "epoch_end":
        return f"epoch_end {figures(p)}"
    if kind == "batch_end":
        # The epoch's last BatchEnd: its data ran out (before EpochBegin.steps if samples were
        # skipped), validation follows. Stubs built from a proto before the field do not have it.
        last = " (the epoch's last)" if getattr(p, "last_of_epoch", False) else ""
        return f"batch_end batch {p.batch} loss {p.loss:.4f} {p.images_per_sec:.0f} img/s{last}"
    if kind == "validation_progress":
        # The epoch's validation pass goes on: sent as it starts (batches_done 0), then throttled
        # as batch_end is. `batches` (the planned count) is unset when the server does not know it.
        # Stubs built from a proto before the message do not know the kind: WhichOneof gives None.
        total = f"/{p.batches}" if p.HasField("batches") else ""
        return f"validation_progress batch {p.batches_done}{total} images {p.images}"
    if kind == "lr_changed":
        return f"lr_changed {p.from_lr:g} -> {p.to_lr:g}"
    if kind == "train_end":
        return f"train_end {name(pb.TrainEndReason, p.reason)} after {duration(p.duration_ms)}"
    if kind == "checkpoint_saved":
        # The training log's words: the line stays when a better checkpoint comes later.
        return f"checkpoint_saved {shown(p.path)}" + (" (best so far)" if p.best else "")
    if kind == "train_begin":
        # A resumed run lists its finished epochs (servers before TrainBegin.history send none).
        lines = [f"train_begin {p.epochs} epoch{'' if p.epochs == 1 else 's'} x {p.steps_per_epoch} steps, {p.backend}" + (
            f", resumed from {shown(p.resumed_from)}" if p.resumed_from else "")]
        # A run started from another run's weights (--init-from); stubs built from a proto before the field do not have it.
        if "initialised_from" in p.DESCRIPTOR.fields_by_name and p.HasField("initialised_from"):
            i = p.initialised_from
            # Another value than these two (a newer server's) or none is not known here.
            weights = i.weights if i.weights in ("ema", "trained") else "unknown"
            # The list is capped; fresh_more counts the rest (stubs built before that field have no count).
            more = getattr(i, "fresh_more", 0)
            lines.append(f"  initialised from {shown(i.path)} (step {i.step}, {weights} weights; {i.taken} of {i.total} tensors)"
                         + (f"; fresh: {', '.join(i.fresh)}" if i.fresh else "") + (f" and {more} more" if more else ""))
        return "\n".join(lines + [f"  history epoch {epoch_label(h.epoch, p.epochs)} {figures(h)}" for h in p.history])
    return f"{kind} {str(p).strip().replace(chr(10), ', ')}"


def restart_note(ev, kind, epoch, epochs):
    """What `rxtrain monitor` says of a training restart, from the new stream's first event: where
    a resumed run went on (its train_begin), a run started afresh, or else (train_begin evicted,
    left out by --kinds) the epoch and step it is at."""
    if kind == "train_begin" and ev.train_begin.resumed_from:
        return (f"training restarted: resumed at epoch {epoch_label(epoch, epochs)} step {ev.step} "
                f"from {shown(ev.train_begin.resumed_from)}")
    if kind == "train_begin":
        return "training restarted: a new run, from epoch 1"
    return f"training restarted: going on at epoch {epoch_label(epoch, epochs)} step {ev.step}"


def speaks_tls(address, timeout=3.0):
    """Whether a TLS handshake with `address` succeeds (its certificate unchecked)."""
    host, _, port = address.rpartition(":")
    try:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout) as raw:
            with context.wrap_socket(raw, server_hostname=host.strip("[]")):
                return True
    except (OSError, ValueError):  # ssl.SSLError is an OSError
        return False


def unfixable(details, args):
    """A hint for an UNAVAILABLE that retrying cannot fix (TLS on one side only, a certificate
    that does not fit), as `rxtrain monitor` gives; None when the server may just not be up yet."""
    if not args.tls:
        # A plaintext channel to a TLS server only says "Socket closed", as one to a server
        # going away does: a TLS handshake of our own tells them apart.
        if "Connection refused" not in details and speaks_tls(args.address):
            return f"the server at {args.address} speaks TLS: add --tls (and --ca FILE if its certificate is self-signed)"
        return None
    if "wrong version number" in details or "packet length too long" in details:
        flags = " and ".join(f for f in ["--tls" if args.tls_flag else "", f"--ca {args.ca}" if args.ca else ""] if f)
        return f"the server at {args.address} does not speak TLS: drop {flags}"
    found = re.search(r"Peer name (\S+) is not in peer certificate", details)
    if found:
        return f"the certificate is not for {found[1]}: pass --server-name with a name it is for" + (
            f" (openssl x509 -in {args.ca} -noout -ext subjectAltName lists them)" if args.ca else "")
    if "certificate verify failed" in details and args.ca:
        return (f"the server's certificate is not signed by {args.ca}: pass the CA that signed it, "
                "or the server's own certificate if it is self-signed, as --ca")
    if "certificate verify failed" in details:
        return ("the server's certificate is not trusted: pass its CA, or the certificate itself if "
                "it is self-signed, as --ca FILE")
    return None


def not_found(details, args):
    """`cannot resolve HOST — is the host name right?` for an attempt whose host name did not
    resolve (grpc's words for it are a C-ares status line), else None."""
    if "DNS resolution failed" not in details:
        return None
    return f"cannot resolve {args.address.rpartition(':')[0]} — is the host name right?"


TRAIN_PORT = "50051"  # the port `rxtrain train` serves on without --telemetry


def refused(args):
    """`nothing listens on HOST:PORT yet — is training running?`, asking about the port too when
    it is not training's default: a watcher on the wrong port would otherwise wait for ever."""
    port = args.address.rpartition(":")[2]
    if port == TRAIN_PORT:
        return f"nothing listens on {args.address} yet — is training running?"
    return (f"nothing listens on {args.address} yet — is training running, and serving on {port}, "
            f"not its default {TRAIN_PORT}?")


def not_started(args):
    """Why --wait gave up on a refused connection, asking about the port as `refused` does."""
    port = args.address.rpartition(":")[2]
    other = "" if port == TRAIN_PORT else f" (is it serving on {port}, not its default {TRAIN_PORT}?)"
    return f"training has not started there{other}, or it ended before this watcher connected"


def waiting(code, details, args):
    """The one line said while no server answers: `rxtrain monitor` shows that state in place,
    and a line per retry (every 10 s at most, for ever without --wait) would bury the output."""
    what = (refused(args) if "Connection refused" in details
            else not_found(details, args) or f"{code.name}: {details};")
    return f"{what} retrying " + (f"for up to {args.wait:g}s (--wait)" if args.wait is not None else "until a server answers")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("address", nargs="?", default="127.0.0.1:50051")
    ap.add_argument("--kinds", default="", help="comma-separated EventKind names, with or without their "
                    "EVENT_KIND_ prefix, e.g. EPOCH_END,TRAIN_END")
    ap.add_argument("--token", default=os.environ.get("RXTRAIN_TELEMETRY_TOKEN"))
    ap.add_argument("--tls", dest="tls_flag", action="store_true", help="TLS, verified with the system's root CAs")
    ap.add_argument("--ca", help="PEM certificate to trust (TLS); the self-signed certificate itself")
    ap.add_argument("--server-name", help="name in the server's certificate, when it differs from the address")
    ap.add_argument("--from", dest="start", type=int, default=0, help="first sequence wanted (0: oldest kept)")
    ap.add_argument("--wait", type=float, help="give up (exit 3) once no server has answered for this many seconds")
    args = ap.parse_args()
    args.tls = args.tls_flag or bool(args.ca)
    kinds = []
    for k in filter(None, (k.strip() for k in args.kinds.split(","))):
        try:
            kinds.append(pb.EventKind.Value(re.sub(r"^(EVENT_KIND_)?", "EVENT_KIND_", k.upper())))
        except ValueError:
            ap.error(f"--kinds: unknown event kind '{k}'; kinds: "
                     + ", ".join(name(pb.EventKind, v) for v in pb.EventKind.values()[1:]))

    if args.server_name and not args.tls:
        ap.error("--server-name names the host in the server's TLS certificate: it needs --tls or --ca")
    if args.wait is not None and args.wait <= 0:
        ap.error(f"--wait must be a number of seconds above 0, got {args.wait:g}")
    options = [("grpc.ssl_target_name_override", args.server_name)] if args.server_name else []
    if args.tls:
        roots = pathlib.Path(args.ca).read_bytes() if args.ca else None  # None: the system's root CAs
        channel = grpc.secure_channel(args.address, grpc.ssl_channel_credentials(roots), options)
    else:
        channel = grpc.insecure_channel(args.address, options)
    metadata = [("authorization", f"Bearer {args.token}")] if args.token else None
    stub = rpc.TelemetryStub(channel)

    nxt, delay, run_shown, stream = args.start, 0.25, False, ""
    epoch, epochs = 0, 0  # the epoch shown (0-based), and the run's epochs (GetRun, TrainBegin)
    restarted = False  # a new training process's stream: said with its first event
    failing_since = None  # --wait: when the attempts since the last answer began to fail
    while True:
        try:
            # Every (re)connection asks GetRun first: its answer says a server is there.
            run = stub.GetRun(pb.GetRunRequest(), metadata=metadata, timeout=10)
            failing_since = None
            if not run_shown:
                # Not Run.epoch: the latest event's, which after an epoch's end (its checkpoint)
                # is already the next one. The events say which epoch `rxtrain monitor` shows.
                epochs = run.epochs
                # "run" is the id of a run started without a name (rxtrain's DEFAULT_RUN_ID): "run: …", not "run run: …".
                print(("run" if run.run_id == "run" else f"run {run.run_id}") + f": {name(pb.RunStatus, run.status)}"
                      + (f", {run.epochs} epoch{'' if run.epochs == 1 else 's'}" if run.epochs else "")
                      + f", step {run.step}, events {run.oldest_sequence}..{run.last_sequence}", flush=True)
                run_shown = True
            # stream_id: with the id of the stream nxt counts in, a restarted training (whose
            # sequence starts again at 1) is served from its start, not from nxt.
            for ev in stub.Subscribe(pb.SubscribeRequest(kinds=kinds, from_sequence=nxt, stream_id=stream), metadata=metadata):
                if stream and ev.stream_id and ev.stream_id != stream:
                    restarted, epoch = True, 0  # the new stream's events say where it is
                stream = ev.stream_id or stream
                nxt, delay = ev.sequence + 1, 0.25
                kind = ev.WhichOneof("event")
                if kind == "train_begin":
                    epochs = ev.train_begin.epochs
                epoch = shown_epoch(ev, kind, epoch, epochs)
                if restarted:
                    print(restart_note(ev, kind, epoch, epochs), file=sys.stderr, flush=True)
                    restarted = False
                line = describe(ev)
                if line is not None:
                    print(f"{ev.sequence} epoch {epoch_label(epoch, epochs)} {line}", flush=True)
            print("training ended", file=sys.stderr)
            return 0
        except grpc.RpcError as e:
            code, details = e.code(), e.details() or ""
            # The server says what happened in trailing metadata; servers before these keys say
            # it only in the message ("in the future", "oldest available is N").
            trailers = dict(e.trailing_metadata() or ())
            oldest_kept = trailers.get("rxtrain-oldest-sequence")
            future = "rxtrain-latest-sequence" in trailers or (oldest_kept is None and "in the future" in details)
            if code == grpc.StatusCode.OUT_OF_RANGE and future:
                # A new training process (a resumed run) numbers its events from 1 again; before
                # any event, a --from past the end is as likely.
                if stream:
                    restarted = True
                else:
                    print(f"the server has no event #{nxt} yet (its stream is shorter: a --from past the end, "
                          "or a training that started over); showing its events from the start", file=sys.stderr)
                nxt, run_shown, stream, epoch = 0, False, "", 0
            elif code == grpc.StatusCode.OUT_OF_RANGE:
                found = re.search(r"oldest available is (\d+)", details)
                oldest = int(oldest_kept or (found[1] if found else 0))
                print(f"events {nxt}..{oldest - 1} were evicted from the server's buffer", file=sys.stderr)
                nxt = oldest
            elif code == grpc.StatusCode.UNAVAILABLE and (hint := unfixable(details, args)):
                print(hint, file=sys.stderr)
                return 1
            elif code in TRANSIENT:
                # A RESOURCE_EXHAUSTED for a watcher that fell behind the replay buffer names the
                # oldest sequence kept: what lies before it is lost, so ask for what is there.
                if code == grpc.StatusCode.RESOURCE_EXHAUSTED and oldest_kept is not None and 0 < nxt < int(oldest_kept):
                    print(f"events {nxt}..{int(oldest_kept) - 1} were evicted from the server's buffer", file=sys.stderr)
                    nxt = int(oldest_kept)
                now = time.monotonic()
                if failing_since is None:
                    failing_since = now
                    print(waiting(code, details, args), file=sys.stderr, flush=True)
                pause = delay
                if args.wait is not None:
                    if now - failing_since >= args.wait:
                        # A name that does not resolve is a typo more likely than a run not started.
                        why = not_found(details, args) or not_started(args)
                        print(f"nothing answered at {args.address} for {args.wait:g}s (--wait): {why}", file=sys.stderr)
                        return 3
                    pause = min(delay, failing_since + args.wait - now)  # never wait past the deadline
                time.sleep(pause)
                delay = min(delay * 2, 10)
            else:  # UNAUTHENTICATED, INVALID_ARGUMENT, ABORTED (the run failed), ...
                print(f"{code.name}: {details}", file=sys.stderr)
                return 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        # The reader of stdout went away (`| head -3`): stop quietly with 0, as `rxtrain monitor`
        # does. Python would still try to flush stdout at exit and print a second error.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
