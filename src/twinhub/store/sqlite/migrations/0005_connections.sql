-- Reserved for the connections of issue 12 (another branch adds this migration; its file replaces this one).
SELECT 1;
