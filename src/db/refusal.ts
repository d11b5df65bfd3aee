/**
 * PostgreSQL refusing a value for what it is rather than for when it was sent: SQLSTATE class 22 (data
 * exception: a NUL byte in text, an invalid encoding, a number out of range) and class 54 (program limit
 * exceeded: a value too large to index). Sending the same value again can only fail the same way, so the
 * caller must stop retrying and end what depends on it. Pure: it reads only the error's code.
 */
export function isRefusedInput(err: unknown): err is Error & { code: string } {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(22|54)[0-9A-Z]{3}$/.test(code);
}
