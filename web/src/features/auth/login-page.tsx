import { Alert, Button, Center, Paper, PasswordInput, Stack, TextInput, Title } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { Navigate, useNavigate, useSearchParams } from 'react-router';
import { useMe, useSignIn } from '../../api/session-queries.js';
import { safeNext } from './safe-next.js';

export function LoginPage() {
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));
  const navigate = useNavigate();
  const me = useMe();
  const signIn = useSignIn();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');

  if (me.data) return <Navigate to={next} replace />;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    signIn.mutate({ username, password }, { onSuccess: () => navigate(next, { replace: true }) });
  };

  return (
    <Center mih="100vh" p="md">
      <Paper component="main" withBorder shadow="sm" p="xl" w={360}>
        <form onSubmit={submit} noValidate>
          <Stack>
            <Title order={1} size="h3">
              Sign in to Switchyard
            </Title>
            {signIn.isError ? (
              <Alert color="red" role="alert" title="Could not sign in">
                {signIn.error.message}
              </Alert>
            ) : null}
            <TextInput
              label="Username"
              autoComplete="username"
              value={username}
              onChange={(e) => setUsername(e.currentTarget.value)}
              required
              withAsterisk={false}
              autoFocus
            />
            <PasswordInput
              label="Password"
              // The toggle's own label must not contain "password": only the field answers to that name.
              visibilityToggleButtonProps={{ 'aria-label': 'Show or hide what you typed' }}
              autoComplete="current-password"
              value={password}
              onChange={(e) => setPassword(e.currentTarget.value)}
              required
              withAsterisk={false}
            />
            <Button type="submit" loading={signIn.isPending} disabled={!username || !password}>
              Sign in
            </Button>
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
