package dev.nimbus.protocol;

/** Who signed a request: the account it acts in and the principal behind the access key. */
public record Identity(String accountId, String arn, String userId, String accessKeyId) {
    public static final String DEFAULT_ACCOUNT = "000000000000";

    /**
     * The identity of a key nobody issued: a 12-digit key is that account's root, any other key
     * is the default account's root. This is how local emulators let any credentials work.
     */
    public static Identity ofUnknownKey(String accessKeyId) {
        String account = accessKeyId != null && accessKeyId.length() == 12 && accessKeyId.chars().allMatch(Character::isDigit)
                ? accessKeyId : DEFAULT_ACCOUNT;
        return new Identity(account, "arn:aws:iam::" + account + ":root", account, accessKeyId);
    }
}
