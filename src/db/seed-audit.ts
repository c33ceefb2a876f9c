/** The audit row the demo seed writes for each thing it creates: a fixed id, so seeding twice adds none. */
export const seedAudit =
  (creatorId: string, now: number) =>
  (subjectType: string, subjectId: string, action = `${subjectType}.created`) => ({
    id: `aud_seed_${subjectId}`,
    creatorId,
    actor: "seed",
    action,
    subjectType,
    subjectId,
    data: "{}",
    createdAt: now,
  });
