// The things list's query as it stands in the address (/console/things?filter=…&namespaces=a,b&size=25), so a
// search can be linked and the back button returns to the previous one.
import { useSearchParams } from "wouter";

export const PAGE_SIZES = [10, 25, 50, 100] as const;
const DEFAULT_SIZE = 25;

export interface SearchQuery {
  filter: string;
  namespaces: string[];
  size: number;
}

/** The query in the address and a way to change it (a new history entry). */
export function useSearchQuery(): [SearchQuery, (change: Partial<SearchQuery>) => void] {
  const [params, setParams] = useSearchParams();
  const size = Number(params.get("size"));
  const query: SearchQuery = {
    filter: params.get("filter") ?? "",
    namespaces: (params.get("namespaces") ?? "").split(",").filter(Boolean),
    size: (PAGE_SIZES as readonly number[]).includes(size) ? size : DEFAULT_SIZE,
  };
  const change = (next: Partial<SearchQuery>) => {
    const merged = { ...query, ...next };
    const entries: Record<string, string> = {};
    if (merged.filter) entries.filter = merged.filter;
    if (merged.namespaces.length) entries.namespaces = merged.namespaces.join(",");
    if (merged.size !== DEFAULT_SIZE) entries.size = String(merged.size);
    setParams(entries);
  };
  return [query, change];
}

/** The search API's query parameters for one page of `query` (after `cursor`), sorted by thing id. */
export function searchParameters(query: SearchQuery, cursor?: string): Record<string, string | undefined> {
  const option = [`sort(+thingId)`, `size(${query.size})`, ...(cursor ? [`cursor(${cursor})`] : [])].join(",");
  return {
    ...countParameters(query),
    option,
    fields: "thingId,policyId,attributes,definition,_modified",
  };
}

/** The count API's query parameters for `query`. */
export function countParameters(query: SearchQuery): Record<string, string | undefined> {
  return {
    filter: query.filter || undefined,
    namespaces: query.namespaces.length ? query.namespaces.join(",") : undefined,
  };
}
