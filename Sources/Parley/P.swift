import Hummingbird
public enum PlaceholderP {}
