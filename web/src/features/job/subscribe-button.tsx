import { Button, Menu } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { type SubscribeRequest, useSubscribeToJob } from '../../api/subscription-mutations.js';

const CHOICES: { label: string; request: SubscribeRequest }[] = [
  { label: 'In the console when it ends', request: { channel: 'console', on: 'end' } },
  { label: 'In the console if it fails', request: { channel: 'console', on: 'failure' } },
  { label: 'By e-mail when it ends', request: { channel: 'email', on: 'end' } },
  { label: 'By e-mail if it fails', request: { channel: 'email', on: 'failure' } },
];

/** "Notify me": subscribes the signed-in user to this job's end, in the console or by e-mail. */
export function SubscribeButton({ jobId }: { jobId: number }) {
  const subscribe = useSubscribeToJob(jobId);
  return (
    <Menu position="bottom-end" withinPortal>
      <Menu.Target>
        <Button variant="default" size="sm" loading={subscribe.isPending}>
          Subscribe
        </Button>
      </Menu.Target>
      <Menu.Dropdown>
        {CHOICES.map(({ label, request }) => (
          <Menu.Item
            key={label}
            onClick={() =>
              subscribe.mutate(request, {
                onSuccess: () => notifications.show({ title: `Job ${jobId}`, message: `You will be told ${label.toLowerCase()}.` }),
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
