-- A deleted message is no longer pinned (MessageService.delete unpins it); pins of messages deleted
-- before that go now, freeing their places among a room's 50.
DELETE p FROM pins p JOIN messages m ON m.id = p.message_id WHERE m.deleted_at IS NOT NULL;
