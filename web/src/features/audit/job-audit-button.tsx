import { Button, Modal } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useAuditOf } from '../../api/audit-queries.js';
import { ErrorAlert } from '../../components/ui/error-alert.js';
import { listStatus } from '../../components/ui/list-state.js';
import { useCan } from '../auth/current-user.js';
import { AuditTable } from './audit-table.js';

/** "Audit": who did what to this job, in a pop-up over its page (operators and admins). */
export function JobAuditButton({ jobId }: { jobId: number }) {
  const allowed = useCan('operator');
  const [opened, { open, close }] = useDisclosure(false);
  const audit = useAuditOf('job', String(jobId), opened && allowed);
  if (!allowed) return null;
  const entries = audit.data ?? [];
  return (
    <>
      <Button variant="default" size="sm" onClick={open}>
        Audit
      </Button>
      <Modal opened={opened} onClose={close} title={`Audit of job ${jobId}`} size="xl">
        <ErrorAlert error={audit.error} title="Could not load the audit" onRetry={() => void audit.refetch()} />
        <AuditTable entries={entries} status={listStatus(audit, entries.length)} onRetry={() => void audit.refetch()} showTarget={false} />
      </Modal>
    </>
  );
}
