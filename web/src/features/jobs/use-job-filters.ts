import { useCallback, useMemo } from 'react';
import { useSearchParams } from 'react-router';
import { filtersToParams, type JobFilters, parseFilters } from './job-filters.js';

/** The jobs view's filters, read from and written to the URL query string. */
export function useJobFilters(): [JobFilters, (next: JobFilters) => void] {
  const [params, setParams] = useSearchParams();
  const filters = useMemo(() => parseFilters(params), [params]);
  const setFilters = useCallback((next: JobFilters) => setParams(filtersToParams(next)), [setParams]);
  return [filters, setFilters];
}
