#!/bin/sh
# Regenerates samples/sample.mp4: three espeak-ng phrases separated by ~1.5 s pauses, after a 1 s
# silent lead-in, over a 640x360 test pattern. Needs espeak-ng and ffmpeg (development time only).
# Prints the speech layout (start/end of each phrase) measured with silencedetect.
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

say() { espeak-ng -v en-us -s 160 -w "$tmp/$1.wav" "$2"; }
say p1 "Hello, and welcome to nemo."
say p2 "This clip has long pauses between the phrases."
say p3 "Trim the silences to make it snappy."

# 48 kHz mono pieces: 1 s lead-in, phrase, 1.2 s pause, phrase, 1.2 s pause, phrase, 0.5 s tail
# (espeak-ng adds ~0.35 s of its own silence after each phrase, so the measured pauses are ~1.55 s).
ffmpeg -nostdin -v error -y \
  -i "$tmp/p1.wav" -i "$tmp/p2.wav" -i "$tmp/p3.wav" \
  -filter_complex "\
anullsrc=r=48000:cl=mono,atrim=duration=1[s0];\
anullsrc=r=48000:cl=mono,atrim=duration=1.2[s1];\
anullsrc=r=48000:cl=mono,atrim=duration=1.2[s2];\
anullsrc=r=48000:cl=mono,atrim=duration=0.5[s3];\
[0:a]aresample=48000[a1];[1:a]aresample=48000[a2];[2:a]aresample=48000[a3];\
[s0][a1][s1][a2][s2][a3][s3]concat=n=7:v=0:a=1,volume=1.5[out]" \
  -map '[out]' "$tmp/speech.wav"

duration=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$tmp/speech.wav")
ffmpeg -nostdin -v error -y \
  -f lavfi -i "testsrc2=s=640x360:r=30:d=$duration" -i "$tmp/speech.wav" \
  -vf "drawtext=fontfile=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf:text='nemo sample':fontsize=24:fontcolor=white:box=1:boxcolor=black@0.5:boxborderw=6:x=20:y=h-50" \
  -c:v libx264 -preset slow -crf 32 -pix_fmt yuv420p -g 60 \
  -c:a aac -b:a 48k -ac 1 -ar 48000 -movflags +faststart -shortest sample.mp4

echo "sample.mp4: $(wc -c < sample.mp4) bytes, ${duration} s"
ffmpeg -nostdin -hide_banner -nostats -i sample.mp4 -af silencedetect=n=-35dB:d=0.3 -f null - 2>&1 |
  grep -o 'silence_\(start\|end\): [0-9.]*'
