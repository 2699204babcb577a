import { Button, Checkbox, Popover, SegmentedControl, Stack, Text } from '@mantine/core';
import { Icon } from '../../components/ui/icon.js';
import { JOB_COLUMNS } from './job-columns.js';

export type Density = 'compact' | 'comfortable';

/** Which columns the jobs list shows, and how tightly; both remembered in this browser. */
export function ColumnChooser({
  columns,
  onColumns,
  density,
  onDensity,
}: {
  columns: string[];
  onColumns: (columns: string[]) => void;
  density: Density;
  onDensity: (density: Density) => void;
}) {
  const toggle = (key: string, on: boolean) => {
    const next = new Set(columns);
    if (on) next.add(key);
    else next.delete(key);
    // Kept in the table's own order, whatever order they were ticked in.
    onColumns(JOB_COLUMNS.map((c) => c.key).filter((k) => next.has(k)));
  };
  return (
    <Popover position="bottom-end" withArrow shadow="md">
      <Popover.Target>
        <Button variant="default" leftSection={<Icon name="sort" />}>
          Columns
        </Button>
      </Popover.Target>
      <Popover.Dropdown>
        <Stack gap={6} role="group" aria-label="Columns shown">
          <Text size="xs" fw={700}>
            Columns
          </Text>
          {JOB_COLUMNS.map((column) => (
            <Checkbox
              key={column.key}
              size="xs"
              label={column.label}
              checked={column.fixed || columns.includes(column.key)}
              disabled={column.fixed}
              onChange={(e) => toggle(column.key, e.currentTarget.checked)}
            />
          ))}
          <Text size="xs" fw={700} mt="xs" id="density-label">
            Density
          </Text>
          <SegmentedControl
            size="xs"
            aria-labelledby="density-label"
            value={density}
            onChange={(v) => onDensity(v as Density)}
            data={[
              { value: 'comfortable', label: 'Comfortable' },
              { value: 'compact', label: 'Compact' },
            ]}
          />
        </Stack>
      </Popover.Dropdown>
    </Popover>
  );
}
