// What every screen may read: the signed-in administrator, { user, organization, csrfToken, scimBaseUrl }.
export const session = { current: undefined };

/** Whether a user is the signed-in administrator (the console offers no way to lock oneself out). */
export const isMe = (userId) => Boolean(session.current && session.current.user.id === userId);
