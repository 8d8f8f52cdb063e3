import { UsageError } from './cli-error.js';

/** Reads all of stdin as text (bounded, so a stray pipe cannot fill memory). */
export async function readStdin(
  stdin: NodeJS.ReadableStream = process.stdin,
  limitBytes = 64 * 1024,
): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += b.length;
    if (size > limitBytes)
      throw new UsageError(`stdin is larger than ${limitBytes} bytes`, 'pipe only the token');
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}
