# postscreen: relayguard-milter side by side with Postfix's postscreen (bench only)
EXTRA_DIST += bench/milter/postscreen-compare.sh
