import { Table, UnstyledButton } from '@mantine/core';
import { Icon } from './icon.js';

export interface SortState {
  key: string;
  desc: boolean;
}

/** A column header that sorts by its key; says its order to assistive tech via aria-sort. */
export function SortHeader({ label, sortKey, sort, onSort }: { label: string; sortKey: string; sort: SortState; onSort: (key: string) => void }) {
  const active = sort.key === sortKey;
  const direction = active ? (sort.desc ? 'descending' : 'ascending') : 'none';
  return (
    <Table.Th aria-sort={direction}>
      <UnstyledButton
        onClick={() => onSort(sortKey)}
        style={{ display: 'inline-flex', alignItems: 'center', gap: 4, fontWeight: 600, fontSize: 'inherit' }}
        aria-label={`Sort by ${label}${active ? `, now ${direction}` : ''}`}
      >
        {label}
        <Icon name={active ? (sort.desc ? 'arrowDown' : 'arrowUp') : 'sort'} size={12} opacity={active ? 1 : 0.4} />
      </UnstyledButton>
    </Table.Th>
  );
}
