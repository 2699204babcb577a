import { useLocalStorage } from '@mantine/hooks';
import type { Job } from '../../api/types.js';
import { ReorderableSections } from '../../components/ui/reorderable-sections.js';
import { JobSites } from './job-sites.js';
import { JobStats } from './job-stats.js';
import { JobFields, JobSummary } from './job-summary.js';

const DEFAULT_ORDER = ['summary', 'stats', 'sites', 'fields'];

/** The job's side bar; the order of its sections is remembered in this browser. */
export function JobSideBar({ job }: { job: Job }) {
  const [order, setOrder] = useLocalStorage({ key: 'switchyard.job-sidebar-order', defaultValue: DEFAULT_ORDER });
  return (
    <ReorderableSections
      order={order}
      onOrder={setOrder}
      sections={[
        { id: 'summary', title: 'Summary', content: <JobSummary job={job} /> },
        { id: 'stats', title: 'Statistics', content: <JobStats job={job} /> },
        { id: 'sites', title: 'Sites', content: <JobSites job={job} /> },
        { id: 'fields', title: 'Fields', content: <JobFields job={job} /> },
      ]}
    />
  );
}
