/** Shapes shared by the widget's entry point, controller and public API. */
import type { StartSessionBody } from '@parley/protocol';

/** What the host page may tell about its visitor (`Parley.setUser`). */
export interface ParleyUser {
  name?: string;
  email?: string;
  phone?: string;
  metadata?: Record<string, string | number | boolean>;
}

/** Where the widget was embedded from, read from its script tag. */
export interface WidgetConfig {
  chatId: string;
  /** Parley's base URL (the script's origin, or `data-api-url`). */
  base: string;
  title: string | null;
  color: string | null;
}

/** Adds `user` to the session-start profile fields (`clientName`, …); metadata is merged. */
export function withUser(profile: StartSessionBody, user: ParleyUser): StartSessionBody {
  const p = { ...profile };
  if (user.name !== undefined) p.clientName = user.name;
  if (user.email !== undefined) p.clientEmail = user.email;
  if (user.phone !== undefined) p.clientPhone = user.phone;
  if (user.metadata !== undefined) p.clientMetadata = { ...p.clientMetadata, ...user.metadata };
  return p;
}
