import { Select } from '@mantine/core';
import { useSites } from '../../api/catalog-queries.js';

const GLOBAL = '__global__';

/** One site, or Global: every site the user may see. */
export function SiteSelect({ site, onChange }: { site: string | null; onChange: (site: string | null) => void }) {
  const sites = useSites();
  const names = sites.data?.map((s) => s.name) ?? [];
  if (site && !names.includes(site)) names.push(site);
  return (
    <Select
      label="Site"
      w={200}
      data={[{ value: GLOBAL, label: 'Global (all sites)' }, ...names.map((name) => ({ value: name, label: name }))]}
      value={site ?? GLOBAL}
      onChange={(value) => onChange(!value || value === GLOBAL ? null : value)}
      allowDeselect={false}
    />
  );
}
