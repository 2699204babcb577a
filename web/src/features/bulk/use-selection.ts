import { useCallback, useState } from 'react';

/** Rows picked in the jobs list, or "every job matching this filter". */
export interface Selection {
  ids: Set<number>;
  allMatching: boolean;
}

export function useSelection() {
  const [selection, setSelection] = useState<Selection>({ ids: new Set(), allMatching: false });
  const toggle = useCallback(
    (id: number, on: boolean) =>
      setSelection((s) => {
        const ids = new Set(s.ids);
        if (on) ids.add(id);
        else ids.delete(id);
        return { ids, allMatching: false };
      }),
    [],
  );
  const setPage = useCallback((ids: number[], on: boolean) => setSelection({ ids: new Set(on ? ids : []), allMatching: false }), []);
  const selectAllMatching = useCallback(() => setSelection((s) => ({ ...s, allMatching: true })), []);
  const clear = useCallback(() => setSelection({ ids: new Set(), allMatching: false }), []);
  return { selection, toggle, setPage, selectAllMatching, clear };
}
