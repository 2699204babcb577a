import { ActionIcon, Group, Paper, Stack, Text } from '@mantine/core';
import { type DragEvent, type ReactNode, useState } from 'react';
import { Icon } from './icon.js';

export interface Section {
  id: string;
  title: string;
  content: ReactNode;
}

/** `order` with `id` moved to where `target` is. */
export function moveTo(order: string[], id: string, target: string): string[] {
  const without = order.filter((x) => x !== id);
  const at = without.indexOf(target);
  if (at < 0) return order;
  const from = order.indexOf(id);
  const to = order.indexOf(target);
  without.splice(from < to ? at + 1 : at, 0, id);
  return without;
}

/**
 * Titled sections the reader can put in any order: by dragging a section's title, or with its
 * move buttons from the keyboard. The order is the caller's to keep.
 */
export function ReorderableSections({ sections, order, onOrder }: { sections: Section[]; order: string[]; onOrder: (order: string[]) => void }) {
  const [dragging, setDragging] = useState<string | null>(null);
  const ids = [...order.filter((id) => sections.some((s) => s.id === id)), ...sections.map((s) => s.id).filter((id) => !order.includes(id))];
  const byId = new Map(sections.map((s) => [s.id, s]));
  const step = (id: string, by: -1 | 1) => {
    const at = ids.indexOf(id);
    const swap = ids[at + by];
    if (swap) onOrder(moveTo(ids, id, swap));
  };
  const drop = (target: string) => (event: DragEvent) => {
    event.preventDefault();
    if (dragging && dragging !== target) onOrder(moveTo(ids, dragging, target));
    setDragging(null);
  };

  return (
    <Stack gap="sm">
      {ids.map((id, index) => {
        const section = byId.get(id) as Section;
        return (
          <Paper
            key={id}
            withBorder
            p="sm"
            component="section"
            aria-label={section.title}
            onDragOver={(e) => e.preventDefault()}
            onDrop={drop(id)}
            opacity={dragging === id ? 0.5 : 1}
          >
            <Group justify="space-between" mb="xs" wrap="nowrap">
              <Text
                fw={700}
                size="sm"
                draggable
                onDragStart={() => setDragging(id)}
                onDragEnd={() => setDragging(null)}
                style={{ cursor: 'grab' }}
                title="Drag to reorder"
              >
                {section.title}
              </Text>
              <Group gap={2} wrap="nowrap">
                <ActionIcon variant="subtle" size="sm" aria-label={`Move ${section.title} up`} disabled={index === 0} onClick={() => step(id, -1)}>
                  <Icon name="arrowUp" size={12} />
                </ActionIcon>
                <ActionIcon
                  variant="subtle"
                  size="sm"
                  aria-label={`Move ${section.title} down`}
                  disabled={index === ids.length - 1}
                  onClick={() => step(id, 1)}
                >
                  <Icon name="arrowDown" size={12} />
                </ActionIcon>
              </Group>
            </Group>
            {section.content}
          </Paper>
        );
      })}
    </Stack>
  );
}
