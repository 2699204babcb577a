import { Notifications } from '@mantine/notifications';
import { createBrowserRouter, Outlet } from 'react-router';
import { HUB_BASE } from '../api/http.js';
import { TokensPage } from '../features/admin/tokens-page.js';
import { UsersPage } from '../features/admin/users-page.js';
import { WorkersPage } from '../features/admin/workers-page.js';
import { AuditPage } from '../features/audit/audit-page.js';
import { LoginPage } from '../features/auth/login-page.js';
import { DashboardPage } from '../features/dashboard/dashboard-page.js';
import { EnvelopePage } from '../features/envelopes/envelope-page.js';
import { EnvelopesPage } from '../features/envelopes/envelopes-page.js';
import { JobPage } from '../features/job/job-page.js';
import { JobsPage } from '../features/jobs/jobs-page.js';
import { NotificationsPage } from '../features/notifications/notifications-page.js';
import { QueuesPage } from '../features/queues/queues-page.js';
import { SchedulePage } from '../features/schedules/schedule-page.js';
import { SchedulesPage } from '../features/schedules/schedules-page.js';
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
              { path: 'workers', element: <WorkersPage /> },
              { path: 'audit', element: <AuditPage /> },
              { path: 'users', element: <UsersPage /> },
              { path: 'tokens', element: <TokensPage /> },
              { path: 'schedules', element: <SchedulesPage /> },
              { path: 'schedules/:id', element: <SchedulePage /> },
              { path: 'dashboard', element: <DashboardPage /> },
              { path: 'envelopes', element: <EnvelopesPage /> },
              { path: 'envelopes/:id', element: <EnvelopePage /> },
              { path: '*', element: <NotFoundPage /> },
            ],
          },
        ],
      },
    ],
    { basename: HUB_BASE.replace(/\/$/, '') || '/' },
  );
}
