// JSON shapes of the public API (client/src/wire.rs and the server's routes).

export type OrgRole = 'owner' | 'admin' | 'member' | 'accountant' | 'viewer' | 'guest'
export type ProjectRole = 'manager' | 'editor' | 'commenter' | 'viewer'

export interface User { id: string, email?: string, handle: string, name: string, created_at?: number }
export interface OrgMembership { id: string, name: string, role: OrgRole }
export interface Me { user: User, email_verified: boolean, totp_enabled: boolean, orgs: OrgMembership[] }
export interface Org { id: string, name: string, created_at: number, role: OrgRole }
export interface OrgMember { user: User, role: OrgRole, joined_at: number }
export interface Invitation { id: string, org_id: string, email: string, role: OrgRole, invited_by: string, created_at: number, expires_at: number }
export interface Project {
  id: string
  org_id: string
  name: string
  description: string
  visibility: 'open' | 'private'
  default_role: ProjectRole
  created_at: number
  updated_at: number
  role: ProjectRole
}
export interface ProjectMember { user: User, role: ProjectRole }
export interface Page<T> { items: T[], next?: string | null }
export interface TokenInfo { id: string, name: string, created_at: number, last_seen_at: number, expires_at?: number, current?: boolean }

export interface Doc {
  id: string
  org_id: string
  project_id: string
  title: string
  created_by: string
  created_at: number
  updated_at: number
  trashed_at?: number | null
}
export interface DocVersion { id: string, name: string, created_at: number }

export interface FileInfo {
  id: string
  org_id: string
  project_id: string
  name: string
  size: number
  content_type: string
  sha256?: string
  version: number
  version_id: string
  created_by: string
  created_at: number
  updated_at: number
  trashed_at?: number | null
}
export interface FileVersion { id: string, file_id: string, number: number, name: string, size: number, content_type: string, created_by: string, created_at: number }

export interface Range16 { start: number, end: number }
export interface SearchHit {
  kind: 'doc' | 'message' | 'task' | 'record' | 'file' | string
  id: string
  title: string
  snippet: string
  score: number
  project?: string | null
  channel?: string | null
  author?: string | null
  created_at: number
  updated_at: number
  highlights: { title: Range16[], snippet: Range16[] }
}
export interface SearchResponse { hits: SearchHit[], total: number, next?: string | null }

export type NotifyLevel = 'all' | 'mentions' | 'none'
export interface Channel {
  id: string
  org_id: string
  project_id: string | null
  kind: 'channel' | 'dm'
  name: string
  topic: string
  private: boolean
  archived: boolean
  created_by: string
  created_at: number
  last_message_at: number | null
  member_ids: string[]
  notify: NotifyLevel
}
export interface Author { id: string, handle: string, name: string }
export interface Attachment { id: string, name: string, size: number, content_type: string }
export interface Reaction { emoji: string, count: number, user_ids: string[] }
export interface Message {
  id: string
  channel_id: string
  org_id: string
  thread_id: string | null
  author: Author
  text: string
  created_at: number
  edited_at: number | null
  deleted: boolean
  mentions: string[]
  attachments: Attachment[]
  reactions: Reaction[]
  reply_count: number
  last_reply_at: number | null
  participant_ids: string[]
}
export interface MessagePage { items: Message[], has_more_before: boolean, has_more_after: boolean }
export interface Notification {
  id: string
  kind: 'mention' | 'reply' | 'dm' | 'message'
  org_id: string
  channel_id: string | null
  message_id: string | null
  thread_id: string | null
  actor: Author | null
  snippet: string
  created_at: number
  read_at: number | null
}
export interface UnreadCounts { channels: { channel_id: string, unread: number, mentions: number }[], threads: { unread: number, mentions: number } }

/** `PUT /api/v1/me/notification-settings`: account-wide notification choices. */
export interface NotificationSettings { email_digest: boolean }
/** `GET/PUT /api/v1/orgs/{org}/chat-settings`. */
export interface ChatSettings { mention_all_roles: OrgRole[], mention_all_warn_above: number }
export type PresenceStatus = 'online' | 'away' | 'offline'
export interface Presence { user_id: string, status: PresenceStatus, last_seen_at: number | null }
