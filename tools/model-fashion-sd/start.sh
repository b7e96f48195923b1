#!/bin/sh
# Start (or resume) the training in the background; it outlives the shell. Extra arguments go to train.py.
# Progress: tail -f /work/ckpt/model-fashion-sd/train.log
CKPT="${FSD_CKPT:-/work/ckpt/model-fashion-sd}"
mkdir -p "$CKPT"
if [ -f "$CKPT/train.pid" ] && kill -0 "$(cat "$CKPT/train.pid")" 2>/dev/null; then
  echo "already running: pid $(cat "$CKPT/train.pid")"; exit 1
fi
HERE="$(cd "$(dirname "$0")" && pwd)"
OMP_WAIT_POLICY=PASSIVE setsid nohup nice -n 10 /usr/bin/python3 "$HERE/train.py" "$@" >> "$CKPT/nohup.out" 2>&1 < /dev/null &
echo $! > "$CKPT/train.pid"
echo "started pid $(cat "$CKPT/train.pid"); log: $CKPT/train.log"
