import { Button, Group, Menu, Modal, Stack, Text, TextInput } from '@mantine/core';
import { useDisclosure, useLocalStorage } from '@mantine/hooks';
import { type FormEvent, useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { useCurrentUser } from '../auth/current-user.js';

interface SavedView {
  name: string;
  /** The jobs page's query string: filters, site and order. */
  search: string;
}

/** Views kept in this browser ("my filters"), beside a few every installation wants. */
export function SavedViews() {
  const user = useCurrentUser();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const [saved, setSaved] = useLocalStorage<SavedView[]>({ key: `switchyard.job-views.${user.name}`, defaultValue: [] });
  const [opened, { open, close }] = useDisclosure(false);
  const [name, setName] = useState('');
  const predefined: SavedView[] = [
    { name: 'Running now', search: 'state=running,pausing,cancelling' },
    { name: 'Waiting to run', search: 'state=created,queued,paused' },
    { name: 'Failed or with errors', search: 'state=failure,error' },
    { name: 'Created today', search: 'age=today' },
    { name: 'My jobs', search: new URLSearchParams({ creator: user.name }).toString() },
  ];
  const go = (view: SavedView) => navigate(`/?${view.search}`);
  const save = (event: FormEvent) => {
    event.preventDefault();
    const trimmed = name.trim();
    if (!trimmed) return;
    setSaved([...saved.filter((v) => v.name !== trimmed), { name: trimmed, search: params.toString() }]);
    setName('');
  };

  return (
    <>
      <Menu position="bottom-end">
        <Menu.Target>
          <Button variant="default">Views</Button>
        </Menu.Target>
        <Menu.Dropdown>
          <Menu.Label>Predefined</Menu.Label>
          {predefined.map((view) => (
            <Menu.Item key={view.name} onClick={() => go(view)}>
              {view.name}
            </Menu.Item>
          ))}
          <Menu.Divider />
          <Menu.Label>My filters</Menu.Label>
          {saved.length === 0 ? <Menu.Item disabled>None saved yet</Menu.Item> : null}
          {saved.map((view) => (
            <Menu.Item key={view.name} onClick={() => go(view)}>
              {view.name}
            </Menu.Item>
          ))}
          <Menu.Divider />
          <Menu.Item onClick={open}>Save or manage views…</Menu.Item>
        </Menu.Dropdown>
      </Menu>
      <Modal opened={opened} onClose={close} title="My filters">
        <Stack>
          <form onSubmit={save}>
            <Group align="flex-end">
              <TextInput label="Save this view as" value={name} onChange={(e) => setName(e.currentTarget.value)} style={{ flex: 1 }} maxLength={80} />
              <Button type="submit" disabled={!name.trim()}>
                Save
              </Button>
            </Group>
          </form>
          {saved.map((view) => (
            <Group key={view.name} justify="space-between" wrap="nowrap">
              <Text size="sm">{view.name}</Text>
              <Button
                size="compact-xs"
                variant="subtle"
                color="red"
                onClick={() => setSaved(saved.filter((v) => v.name !== view.name))}
                aria-label={`Remove ${view.name}`}
              >
                Remove
              </Button>
            </Group>
          ))}
        </Stack>
      </Modal>
    </>
  );
}
