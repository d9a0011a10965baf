// Sign-in with the server's own authentication: a basic user's name and password, or an OpenID Connect token.
import { Alert, Button, Center, Paper, PasswordInput, SegmentedControl, Stack, TextInput, Textarea, Title } from "@mantine/core";
import { useState, type FormEvent } from "react";

import { DittoError } from "../api/client";
import type { Credentials } from "../api/credentials";
import { useSessionState } from "./session";

export function SignIn() {
  const { signIn } = useSessionState();
  const [method, setMethod] = useState<"basic" | "bearer">("basic");
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const credentials: Credentials =
      method === "basic" ? { kind: "basic", username, password } : { kind: "bearer", token: token.trim() };
    setBusy(true);
    setError(null);
    try {
      await signIn(credentials);
    } catch (failure) {
      setError(failure instanceof DittoError ? `${failure.message} (${failure.error})` : String(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Center mih="100vh" p="md">
      <Paper component="main" withBorder shadow="sm" p="xl" w="100%" maw={420}>
        <form onSubmit={submit} aria-label="Sign in">
          <Stack>
            <Title order={1} size="h2">
              twinhub console
            </Title>
            <SegmentedControl
              aria-label="Sign-in method"
              value={method}
              onChange={(value) => setMethod(value as "basic" | "bearer")}
              data={[
                { value: "basic", label: "User" },
                { value: "bearer", label: "Token (OIDC)" },
              ]}
            />
            {method === "basic" ? (
              <>
                <TextInput label="Username" autoComplete="username" required autoFocus
                  value={username} onChange={(e) => setUsername(e.currentTarget.value)} />
                <PasswordInput label="Password" autoComplete="current-password"
                  value={password} onChange={(e) => setPassword(e.currentTarget.value)} />
              </>
            ) : (
              <Textarea label="Bearer token" description="A JWT of one of the server's OpenID Connect issuers"
                required autosize minRows={3} value={token} onChange={(e) => setToken(e.currentTarget.value)} />
            )}
            {error && (
              <Alert color="red" title="Sign-in failed" role="alert">
                {error}
              </Alert>
            )}
            <Button type="submit" loading={busy}>
              Sign in
            </Button>
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
