import { Notifications } from '@mantine/notifications';
import { createBrowserRouter, Outlet } from 'react-router';
import { HUB_BASE } from '../api/http.js';
import { LoginPage } from '../features/auth/login-page.js';
import { JobPage } from '../features/job/job-page.js';
import { JobsPage } from '../features/jobs/jobs-page.js';
import { NotificationsPage } from '../features/notifications/notifications-page.js';
import { QueuesPage } from '../features/queues/queues-page.js';
import { AppLayout } from './app-layout.js';
import { NotFoundPage } from './not-found-page.js';

/** Notifications sit inside the router so that the links they hold can navigate. */
function Root() {
  return (
    <>
      <Notifications position="bottom-right" />
      <Outlet />
    </>
  );
}

export function createRouter() {
  return createBrowserRouter(
    [
      {
        element: <Root />,
        children: [
          { path: '/login', element: <LoginPage /> },
          {
            element: <AppLayout />,
            children: [
              { index: true, element: <JobsPage /> },
              { path: 'jobs/:id', element: <JobPage /> },
              { path: 'queues', element: <QueuesPage /> },
              { path: 'notifications', element: <NotificationsPage /> },
              { path: '*', element: <NotFoundPage /> },
            ],
          },
        ],
      },
    ],
    { basename: HUB_BASE.replace(/\/$/, '') || '/' },
  );
}
