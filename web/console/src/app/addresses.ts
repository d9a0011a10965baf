// The console's addresses as the browser has them. wouter decodes an address with decodeURI before it matches
// routes, which also turns `%25` into `%`: an id's own percent-escapes (the thing `a%41`, addressed `a%2541`) would
// be decoded twice and name another entity (`aA`), and a malformed escape would break the page. The hooks below
// hand wouter each `%` escaped once more, so its decoding gives back the address unchanged, and each route decodes
// its segments exactly once, with `pathSegment`.
import type { BrowserLocationHook, BrowserSearchHook } from "wouter/use-browser-location";
import { useBrowserLocation, useSearch } from "wouter/use-browser-location";

function escapePercent(text: string): string {
  return text.replaceAll("%", "%25");
}

export const useAddress: BrowserLocationHook = (options) => {
  const [path, navigate] = useBrowserLocation(options);
  return [escapePercent(path), navigate];
};

export const useAddressSearch: BrowserSearchHook = (options) => escapePercent(useSearch(options));

/** A route's path segment as the id it encodes; null when it is no valid percent-encoding (an address typed or
 * mangled by hand). */
export function pathSegment(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}
