import { Button, Menu } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { type SubscribeRequest, type SubscribeTarget, useSubscribe } from '../../api/subscription-mutations.js';

const CHOICES: Record<SubscribeTarget['kind'], { label: string; request: SubscribeRequest }[]> = {
  job: [
    { label: 'In the console when it ends', request: { channel: 'console', on: 'end' } },
    { label: 'In the console if it fails', request: { channel: 'console', on: 'failure' } },
    { label: 'By e-mail when it ends', request: { channel: 'email', on: 'end' } },
    { label: 'By e-mail if it fails', request: { channel: 'email', on: 'failure' } },
  ],
  envelope: [
    { label: 'In the console when it ends', request: { channel: 'console', on: 'end' } },
    { label: 'In the console if it ends with errors', request: { channel: 'console', on: 'failure' } },
    { label: 'By e-mail when it ends', request: { channel: 'email', on: 'end' } },
    { label: 'By e-mail if it ends with errors', request: { channel: 'email', on: 'failure' } },
  ],
  schedule: [
    { label: 'In the console when each run ends', request: { channel: 'console', on: 'end' } },
    { label: 'In the console when a run fails', request: { channel: 'console', on: 'failure' } },
    { label: 'By e-mail when each run ends', request: { channel: 'email', on: 'end' } },
    { label: 'By e-mail when a run fails', request: { channel: 'email', on: 'failure' } },
  ],
};

const TITLES = { job: 'Job', envelope: 'Envelope', schedule: 'Schedule' } as const;

/** "Subscribe": tells the signed-in user of a job's, an envelope's or a schedule's endings, in the console or by e-mail. */
export function SubscribeMenu({ target }: { target: SubscribeTarget }) {
  const subscribe = useSubscribe(target);
  return (
    <Menu position="bottom-end" withinPortal>
      <Menu.Target>
        <Button variant="default" size="sm" loading={subscribe.isPending}>
          Subscribe
        </Button>
      </Menu.Target>
      <Menu.Dropdown>
        {CHOICES[target.kind].map(({ label, request }) => (
          <Menu.Item
            key={label}
            onClick={() =>
              subscribe.mutate(request, {
                onSuccess: () => notifications.show({ title: `${TITLES[target.kind]} ${target.id}`, message: `You will be told ${label.toLowerCase()}.` }),
                onError: (error) => notifications.show({ color: 'red', title: 'Subscribing failed', message: error.message }),
              })
            }
          >
            {label}
          </Menu.Item>
        ))}
      </Menu.Dropdown>
    </Menu>
  );
}

/** "Notify me": subscribes the signed-in user to this job's end, in the console or by e-mail. */
export function SubscribeButton({ jobId }: { jobId: number }) {
  return <SubscribeMenu target={{ kind: 'job', id: jobId }} />;
}
