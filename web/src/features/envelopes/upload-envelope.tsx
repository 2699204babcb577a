import { Alert, Button, FileInput, Group, Select } from '@mantine/core';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { useEnvelopeTypes, useUploadEnvelope } from '../../api/envelope-queries.js';
import { ErrorAlert } from '../../components/ui/error-alert.js';

/** Pick a file and its envelope type, submit; a corrupt file says why at once. */
export function UploadEnvelope() {
  const types = useEnvelopeTypes();
  const upload = useUploadEnvelope();
  const navigate = useNavigate();
  const [type, setType] = useState<string | null>('jobs');
  const [file, setFile] = useState<File | null>(null);
  const result = upload.data;
  return (
    <form
      aria-label="Upload an envelope"
      onSubmit={(event) => {
        event.preventDefault();
        if (!file || !type) return;
        upload.mutate(
          { type, file },
          {
            onSuccess: (envelope) => {
              if (envelope.status !== 'corrupt') navigate(`/envelopes/${envelope.id}`);
            },
          },
        );
      }}
    >
      <Group align="flex-end" gap="sm">
        <Select
          label="Envelope type"
          data={(types.data ?? [{ name: 'jobs', label: 'jobs' }]).map((t) => ({ value: t.name, label: `${t.label} (${t.name})` }))}
          value={type}
          onChange={setType}
          allowDeselect={false}
          w={260}
        />
        <FileInput label="File" aria-description="Choose a file" value={file} onChange={setFile} w={260} clearable />
        <Button type="submit" disabled={!file || !type} loading={upload.isPending}>
          Submit envelope
        </Button>
      </Group>
      <ErrorAlert error={upload.error} title="Could not submit the envelope" />
      {result?.status === 'corrupt' ? (
        <Alert color="grape" mt="sm" title={`Envelope ${result.id} is corrupt: nothing ran`} data-testid="corrupt-alert">
          {result.reason}
        </Alert>
      ) : null}
    </form>
  );
}
