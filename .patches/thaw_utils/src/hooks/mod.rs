mod use_click_position;
mod use_lock_html_scroll;

pub use use_click_position::use_click_position;
pub use use_lock_html_scroll::use_lock_html_scroll;
