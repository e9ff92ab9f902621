mod element;
mod get_scroll_parent;
mod mount_style;
mod scroll_into_view;
mod ssr_mount_style;

pub use element::*;
pub use get_scroll_parent::{get_scroll_parent_element, get_scroll_parent_node};
pub use mount_style::{mount_dynamic_style, mount_style};
pub use scroll_into_view::scroll_into_view;
pub use ssr_mount_style::{SSRMountStyleProvider, SSRMountStyleContext};