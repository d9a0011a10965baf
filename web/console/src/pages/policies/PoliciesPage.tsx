import { Title } from "@mantine/core";

export function PoliciesPage() {
  return <Title order={2}>Policies</Title>;
}
