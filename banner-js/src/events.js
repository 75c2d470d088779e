// @ts-check
/** Dispatches the `consent:*` CustomEvents on document. */

/**
 * @param {string} name one of EVENT_READY / EVENT_CHANGE
 * @param {unknown} detail a copy of the record (listeners may mutate it)
 */
export function emit(name, detail) {
  // Listener errors are reported by the browser, never thrown back here.
  document.dispatchEvent(new CustomEvent(name, { detail }));
}
