import { Select } from '@mantine/core';
import type { Role } from '../../domain.js';

const ROLE_OPTIONS: { value: Role; label: string }[] = [
  { value: 'viewer', label: 'Viewer — reads jobs, queues and output' },
  { value: 'operator', label: 'Operator — also submits and controls jobs' },
  { value: 'admin', label: 'Admin — also manages users, tokens and queues' },
  { value: 'worker', label: 'Worker — runs tasks only (for worker tokens)' },
];

/** A role, each option saying what it allows; `people` leaves out the worker role, which is for tokens. */
export function RoleSelect({ value, onChange, people = false }: { value: Role; onChange: (role: Role) => void; people?: boolean }) {
  return (
    <Select
      label="Role"
      data={people ? ROLE_OPTIONS.filter((o) => o.value !== 'worker') : ROLE_OPTIONS}
      value={value}
      onChange={(v) => v && onChange(v as Role)}
      allowDeselect={false}
    />
  );
}
