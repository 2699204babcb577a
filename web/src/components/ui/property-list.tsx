import { SimpleGrid, Text } from '@mantine/core';
import type { ReactNode } from 'react';

export interface Property {
  label: string;
  value: ReactNode;
}

/** Label and value pairs as a description list, in columns on wide screens. */
export function PropertyList({ items, cols = 2 }: { items: Property[]; cols?: number }) {
  return (
    <SimpleGrid component="dl" cols={{ base: 1, sm: cols }} spacing="xs" verticalSpacing={6} m={0}>
      {items.map((item) => (
        <div key={item.label}>
          <Text component="dt" size="xs" c="dimmed" fw={600}>
            {item.label}
          </Text>
          <Text component="dd" size="sm" m={0} style={{ overflowWrap: 'anywhere' }}>
            {item.value}
          </Text>
        </div>
      ))}
    </SimpleGrid>
  );
}
