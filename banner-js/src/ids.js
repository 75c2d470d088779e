// @ts-check
/** Random ids: client-made receipt ids, pseudonymous subjects, idempotency secrets. */

/**
 * A random UUID v4. crypto.randomUUID needs a secure context; elsewhere a blob URL ends in a
 * random UUID v4 (File API: "blob:" origin "/" UUID) in every browser.
 */
export const uuid = () => {
  if (crypto.randomUUID) return crypto.randomUUID();
  const url = URL.createObjectURL(new Blob());
  URL.revokeObjectURL(url);
  return url.slice(-36);
};
