//! Terminal init/restore guard. (Being written.)
