mod add_message;
mod create;
mod events;
mod list;
mod show;
mod update;
